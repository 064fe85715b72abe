; Infinite recursion: every call pushes a return address and 64 bytes of locals until the
; stack runs into its guard.
; EXPECT: memboss: ERROR: stack-overflow
; EXPECT: memboss: END
; EXPECT-STATUS: 139
        global  main
        section .text
main:
        push    rbx
        call    recurse
        xor     eax, eax
        pop     rbx
        ret
recurse:
        sub     rsp, 72
        mov     qword [rsp], 1          ; touch the new frame
        call    recurse
        add     rsp, 72
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
