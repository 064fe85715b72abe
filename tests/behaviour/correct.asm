; Correct program (no finding): the post's allocate / store / read back / print / free,
; plus a block grown with realloc and a calloc'd array. memboss must stay silent, status 0.
        default rel
        extern  malloc, calloc, realloc, free, printf
        global  main
        section .rodata
fmt:    db      "value 0x%lx, sum %ld", 10, 0
        section .text
main:
        push    rbx
        push    r12
        push    r13                     ; three pushes + return address: rsp 16-aligned
        mov     edi, 64
        call    malloc
        test    rax, rax
        jz      .fail
        mov     rbx, rax
        mov     rcx, 0xDEADBEEF
        mov     [rbx], rcx
        mov     rdi, rbx
        mov     esi, 4096
        call    realloc                 ; grow: contents kept
        test    rax, rax
        jz      .fail
        mov     rbx, rax
        mov     qword [rbx+4088], 7     ; the last 8 bytes of the grown block

        mov     edi, 10
        mov     esi, 8
        call    calloc                  ; ten zeroed 8-byte counters
        test    rax, rax
        jz      .fail
        mov     r12, rax
        xor     r13d, r13d
        xor     ecx, ecx
.sum:   add     r13, [r12+rcx*8]
        inc     ecx
        cmp     ecx, 10
        jb      .sum
        add     r13, [rbx+4088]

        lea     rdi, [fmt]
        mov     rsi, [rbx]
        mov     rdx, r13
        xor     eax, eax
        call    printf
        mov     rdi, r12
        call    free
        mov     rdi, rbx
        call    free
        xor     eax, eax
        jmp     .out
.fail:  mov     eax, 2
.out:   pop     r13
        pop     r12
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
